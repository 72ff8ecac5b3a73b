package runtask

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"strings"
)

// Signature errors. The handler answers ErrSignatureUnexpected with 400 and the others with 401.
var (
	// ErrSignatureMissing: a key is configured but the request has no (or an empty) signature.
	ErrSignatureMissing = errors.New("request is not signed")
	// ErrSignatureMismatch: the signature is not the HMAC-SHA512 of the body under the key.
	ErrSignatureMismatch = errors.New("request signature does not match")
	// ErrSignatureUnexpected: the request is signed but no key is configured.
	ErrSignatureUnexpected = errors.New("request is signed but no HMAC key is configured")
)

// Sign returns the lowercase hex HMAC-SHA512 of body under key, as HCP Terraform puts it in
// X-TFC-Task-Signature.
func Sign(body, key []byte) string {
	mac := hmac.New(sha512.New, key)
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// Verify checks sig (the X-TFC-Task-Signature value) against the raw body. With an empty key, an
// empty sig passes and any other is ErrSignatureUnexpected. With a key, the hex signature (either
// case) must equal the HMAC-SHA512 of body; the comparison is constant-time.
func Verify(body []byte, sig string, key []byte) error {
	sig = strings.TrimSpace(sig)
	if len(key) == 0 {
		if sig != "" {
			return ErrSignatureUnexpected
		}
		return nil
	}
	if sig == "" {
		return ErrSignatureMissing
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return ErrSignatureMismatch
	}
	mac := hmac.New(sha512.New, key)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrSignatureMismatch
	}
	return nil
}
