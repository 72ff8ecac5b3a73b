package jsontext

import (
	"encoding/json"
	"fmt"
)

// The JSON types, as errors name them ("expected a string, found a list").
const (
	KindObject = "an object"
	KindArray  = "a list"
	KindString = "a string"
	KindNumber = "a number"
	KindBool   = "a boolean"
	KindNull   = "null"
)

// TypeName names the JSON type of a value decoded into any (by Decode or encoding/json, with or
// without UseNumber), as Lexer.Kind names it before it is read.
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return KindNull
	case bool:
		return KindBool
	case float64, json.Number:
		return KindNumber
	case string:
		return KindString
	case []any:
		return KindArray
	case map[string]any:
		return KindObject
	}
	return fmt.Sprintf("%T", v)
}
