package mqtt

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// stateJSON returns sp as encoding/json marshals it (the same fields in
// the same order, the same escaping), without reflection: an all-change
// poll of 10,000 watched users encodes 10,000 of these, and json.Marshal
// took 6× the time and allocated ~1 KB each (BenchmarkStateJSON).
// TestStateJSONIsEncodingJSON and FuzzAppendJSONString hold it to
// json.Marshal byte for byte.
func stateJSON(sp *statePayload) []byte {
	var buf [512]byte
	b := append(buf[:0], `{"user":`...)
	b = appendJSONString(b, sp.User)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, sp.Name)
	b = append(b, `,"busy":`...)
	b = strconv.AppendBool(b, sp.Busy)
	b = append(b, `,"color":`...)
	b = appendJSONString(b, sp.Color)
	b = append(b, `,"shown_color":`...)
	b = appendJSONString(b, sp.ShownColor)
	b = append(b, `,"brightness":`...)
	b = strconv.AppendInt(b, int64(sp.Brightness), 10)
	b = append(b, `,"effect":`...)
	b = appendJSONString(b, sp.Effect)
	b = append(b, `,"label":`...)
	b = appendJSONString(b, sp.Label)
	b = append(b, `,"rule":`...)
	b = appendJSONString(b, sp.Rule)
	b = append(b, `,"teams":{"availability":`...)
	b = appendJSONString(b, sp.Teams.Availability)
	b = append(b, `,"activity":`...)
	b = appendJSONString(b, sp.Teams.Activity)
	b = append(b, `,"status_message":`...)
	b = appendJSONString(b, sp.Teams.StatusMessage)
	b = append(b, '}')
	if sp.Since != "" {
		b = append(b, `,"since":`...)
		b = appendJSONString(b, sp.Since)
	}
	b = append(b, `,"stale":`...)
	b = strconv.AppendBool(b, sp.Stale)
	if sp.Until != "" {
		b = append(b, `,"until":`...)
		b = appendJSONString(b, sp.Until)
	}
	if sp.NextBusy != "" {
		b = append(b, `,"next_busy":`...)
		b = appendJSONString(b, sp.NextBusy)
	}
	b = append(b, '}')
	// The payload is kept for as long as the user is watched: exactly its
	// size, not the scratch buffer's.
	return bytes.Clone(b)
}

// appendJSONString appends s as a JSON string the way encoding/json writes
// it by default: <, > and & escaped for HTML, invalid UTF-8 replaced by
// U+FFFD, U+2028 and U+2029 escaped for JavaScript.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
