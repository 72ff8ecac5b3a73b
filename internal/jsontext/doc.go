// Package jsontext reads JSON text (RFC 8259) fast and strictly, for readers that check a whole
// document but keep little of it.
//
// It owns the JSON syntax and nothing else: a validating Lexer over text or a stream (grammar,
// escapes, control characters, UTF-8, nesting depth, duplicate keys, numbers a float64 cannot
// hold), positions (offset, line, column, JSON path), the index of an object's members in checked
// text (Members), decoding checked text into the Go values encoding/json gives for any (Decode),
// string unescaping exactly as encoding/json does it (Unescape), duplicate keys in any text
// (DuplicateKey), keys that differ from a known key only in case (CaseVariant), and the encodings a
// document may come in (Transcode: UTF-8 with or without a byte order mark, UTF-16 with one).
//
// Its errors say what is wrong with the text and where; they know nothing of the files, formats or
// options of the program that reads it. It imports nothing of karpgate.
package jsontext
