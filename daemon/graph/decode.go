package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strings"
)

// wirePresence is Graph's presence resource as it arrives (reference A.2).
// Every field but availability is optional or nullable: older v1.0
// responses carry only id, availability and activity, and statusMessage is
// null when the user has none.
type wirePresence struct {
	ID                  string             `json:"id"`
	Availability        string             `json:"availability"`
	Activity            string             `json:"activity"`
	StatusMessage       *wireStatusMessage `json:"statusMessage"`
	OutOfOfficeSettings *wireOutOfOffice   `json:"outOfOfficeSettings"`
	SequenceNumber      string             `json:"sequenceNumber"`
}

type wireStatusMessage struct {
	Message *struct {
		Content string `json:"content"`
	} `json:"message"`
}

type wireOutOfOffice struct {
	IsOutOfOffice bool `json:"isOutOfOffice"`
}

func (w *wirePresence) statusMessage() string {
	if w.StatusMessage == nil || w.StatusMessage.Message == nil {
		return ""
	}
	return w.StatusMessage.Message.Content
}

func (w *wirePresence) outOfOffice() bool {
	return w.OutOfOfficeSettings != nil && w.OutOfOfficeSettings.IsOutOfOffice
}

// wireBatch is the getPresencesByUserId response: a collection in value.
type wireBatch struct {
	// Value is a pointer so that a missing or null value is told apart
	// from an empty collection.
	Value *[]wirePresence `json:"value"`
}

// wireUser is GET /users/{id|upn}?$select=id,userPrincipalName,displayName.
type wireUser struct {
	ID                string `json:"id"`
	UserPrincipalName string `json:"userPrincipalName"`
	DisplayName       string `json:"displayName"`
}

// wireError is Graph's error JSON (reference A.5).
type wireError struct {
	Error *struct {
		Code       string     `json:"code"`
		Message    string     `json:"message"`
		InnerError *wireInner `json:"innerError"`
	} `json:"error"`
}

type wireInner struct {
	Code       string     `json:"code"`
	RequestID  string     `json:"request-id"`
	InnerError *wireInner `json:"innerError"`
}

// malformed returns an ErrMalformed error naming the operation and what was
// wrong, with the start of the body.
func malformed(op, detail string, body []byte, token string) error {
	return fmt.Errorf("%w: %s: %s; body: %s", ErrMalformed, op, detail, snippet(body, token))
}

// jsonDetail shortens encoding/json errors for messages.
func jsonDetail(err error) string {
	if err.Error() == "unexpected end of JSON input" {
		return "truncated JSON"
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "document"
		}
		return fmt.Sprintf("%s is a JSON %s", field, te.Value)
	}
	return err.Error()
}

// decodePresence decodes one presence resource and checks it has an
// availability. Errors wrap ErrMalformed.
func decodePresence(op string, body []byte, token string) (wirePresence, error) {
	var w wirePresence
	if err := json.Unmarshal(body, &w); err != nil {
		return wirePresence{}, malformed(op, jsonDetail(err), body, token)
	}
	if err := w.check(); err != nil {
		return wirePresence{}, malformed(op, err.Error(), body, token)
	}
	return w, nil
}

// decodeBatch decodes a getPresencesByUserId response and checks every
// entry has an id and an availability. Matching ids to the request is the
// caller's job. Errors wrap ErrMalformed.
func decodeBatch(op string, body []byte, token string) ([]wirePresence, error) {
	var b wireBatch
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, malformed(op, jsonDetail(err), body, token)
	}
	if b.Value == nil {
		return nil, malformed(op, "no value collection", body, token)
	}
	for i := range *b.Value {
		w := &(*b.Value)[i]
		if w.ID == "" {
			return nil, malformed(op, fmt.Sprintf("value[%d] has no id", i), body, token)
		}
		if err := w.check(); err != nil {
			return nil, malformed(op, fmt.Sprintf("value[%d] (id %q): %v", i, w.ID, err), body, token)
		}
	}
	return *b.Value, nil
}

func (w *wirePresence) check() error {
	if strings.TrimSpace(w.Availability) == "" {
		return errors.New("no availability")
	}
	return nil
}

// decodeUser decodes a user lookup. Errors wrap ErrMalformed.
func decodeUser(op string, body []byte, token string) (wireUser, error) {
	var u wireUser
	if err := json.Unmarshal(body, &u); err != nil {
		return wireUser{}, malformed(op, jsonDetail(err), body, token)
	}
	if u.ID == "" {
		return wireUser{}, malformed(op, "no id", body, token)
	}
	return u, nil
}

// decodeError parses Graph's error JSON into e. A body that is not error
// JSON (a proxy's HTML page, an empty 401) leaves the code empty; that is
// not an error in itself.
func decodeError(e *APIError, body []byte, token string) {
	var w wireError
	if json.Unmarshal(body, &w) != nil || w.Error == nil {
		return
	}
	e.Code = redact(w.Error.Code, token)
	e.Message = redact(w.Error.Message, token)
	for in, depth := w.Error.InnerError, 0; in != nil && depth < 8; in, depth = in.InnerError, depth+1 {
		if in.Code != "" {
			e.InnerCode = redact(in.Code, token)
		}
		if in.RequestID != "" && e.RequestID == "" {
			e.RequestID = redact(in.RequestID, token)
		}
	}
}

// isJSON reports whether a Content-Type header names JSON. An absent header
// is accepted (Graph always sends one, but a body that parses is still the
// better evidence); text/html and the like are not.
func isJSON(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}
