package runtask

import (
	"errors"
	"strings"
	"testing"
)

func TestVerify(t *testing.T) {
	body := []byte("The quick brown fox jumps over the lazy dog")
	key := []byte("key")
	// RFC-style known answer (HMAC-SHA512, key "key"), as `openssl dgst -sha512 -hmac key` prints it.
	const known = "b42af09057bac1e2d41708e48a902e09b5ff7f12ab428a4fe86653c73dd248fb" +
		"82f948a549f7b791a5b41915ee4d1ec3935357e4e2317250d0372afa2ebeeb3a"
	if got := Sign(body, key); got != known {
		t.Fatalf("Sign = %s, want %s", got, known)
	}
	tests := []struct {
		name string
		body []byte
		sig  string
		key  []byte
		want error
	}{
		{"a correct signature passes", body, known, key, nil},
		{"upper-case hex passes", body, strings.ToUpper(known), key, nil},
		{"a signature of another body fails", []byte("The quick brown fox jumps over the lazy dog."), known, key, ErrSignatureMismatch},
		{"a signature under another key fails", body, Sign(body, []byte("other")), key, ErrSignatureMismatch},
		{"a truncated signature fails", body, known[:64], key, ErrSignatureMismatch},
		{"a signature that is not hex fails", body, "not-hex", key, ErrSignatureMismatch},
		{"a missing signature fails with a key", body, "", key, ErrSignatureMissing},
		{"a blank signature fails with a key", body, "  ", key, ErrSignatureMissing},
		{"no signature and no key passes", body, "", nil, nil},
		{"a signature without a key is unexpected", body, known, nil, ErrSignatureUnexpected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Verify(tt.body, tt.sig, tt.key); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}
