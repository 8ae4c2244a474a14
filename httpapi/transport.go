package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// postTransport is gqlgen's POST transport (transport.POST, whose
// Supports it keeps, and whose Do it follows step by step) with one
// change: the response is written by writeResponse instead of
// encoding/json.Marshal. Marshal validates and compacts the data gqlgen
// has already written as compact JSON, byte by byte through its scanner's
// state machine, and copies it: for the 150 kB of 100 deals with 10
// meetings each, more than a millisecond of CPU and a copy of the
// response, per request. The bytes written are the same as Marshal's
// (TestResponseBytes).
type postTransport struct{ transport.POST }

func (h postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	contentType := responseContentType(r)
	w.Header().Set("Content-Type", contentType)
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("could not read request body: %+v", err)}))
		return
	}
	params := &graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf(
			"json request body could not be decoded: %+v body:%s", err, string(body))}))
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, opErr := exec.CreateOperationContext(ctx, params)
	if opErr != nil {
		status := http.StatusOK
		if errcode.GetErrorKind(opErr) == errcode.KindProtocol {
			status = http.StatusUnprocessableEntity
			if contentType == graphQLResponseJSON {
				status = http.StatusBadRequest
			}
		}
		w.WriteHeader(status)
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), opErr))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, responses(ctx))
}

const graphQLResponseJSON = "application/graphql-response+json"

// responseContentType is transport.POST's choice of the response's media
// type from the request's Accept (with no headers configured and
// application/json the default).
func responseContentType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return "application/json"
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", "application/json":
			return "application/json"
		case graphQLResponseJSON:
			return graphQLResponseJSON
		}
	}
	return graphQLResponseJSON
}

// writeResponse writes resp as encoding/json.Marshal does, with its data
// as gqlgen wrote it but for the escapes Marshal adds: '<', '>' and '&' as
// \u003c, \u003e and \u0026, U+2028 and U+2029 as \u2028 and \u2029 (so
// that the response is safe to embed in HTML). gqlgen writes no space
// between tokens, so the data needs no compacting; the rest of the
// response (errors, extensions) is small and goes through Marshal.
func writeResponse(w io.Writer, resp *graphql.Response) {
	if resp == nil {
		_, _ = io.WriteString(w, "null")
		return
	}
	var b bytes.Buffer
	b.Grow(len(resp.Data) + 64)
	b.WriteByte('{')
	if len(resp.Errors) > 0 {
		b.WriteString(`"errors":`)
		mustMarshal(&b, resp.Errors)
		b.WriteByte(',')
	}
	b.WriteString(`"data":`)
	if len(resp.Data) == 0 {
		b.WriteString("null")
	} else {
		appendEscaped(&b, resp.Data)
	}
	if resp.Label != "" || len(resp.Path) > 0 || resp.HasNext != nil || len(resp.Extensions) > 0 {
		var rest bytes.Buffer
		mustMarshal(&rest, struct {
			Label      string         `json:"label,omitempty"`
			Path       any            `json:"path,omitempty"`
			HasNext    *bool          `json:"hasNext,omitempty"`
			Extensions map[string]any `json:"extensions,omitempty"`
		}{resp.Label, pathOrNil(resp), resp.HasNext, resp.Extensions})
		b.WriteByte(',')
		b.Write(rest.Bytes()[1:]) // the fields, without the opening brace
	} else {
		b.WriteByte('}')
	}
	_, _ = w.Write(b.Bytes())
}

func pathOrNil(resp *graphql.Response) any {
	if len(resp.Path) == 0 {
		return nil
	}
	return resp.Path
}

func mustMarshal(b *bytes.Buffer, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Errorf("unable to marshal the response: %w", err)) // as gqlgen's transport does
	}
	b.Write(raw)
}

// escapes marks the bytes appendEscaped looks at: the HTML-sensitive
// ASCII characters, and the first byte of U+2028 and U+2029.
var escapes = [256]bool{'<': true, '>': true, '&': true, 0xE2: true}

const hexDigits = "0123456789abcdef"

// appendEscaped writes data with encoding/json's HTML escapes (outside
// strings JSON has none of these characters, so every one found is in a
// string).
func appendEscaped(b *bytes.Buffer, data []byte) {
	start := 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		if !escapes[c] {
			continue
		}
		if c == 0xE2 {
			r, size := utf8.DecodeRune(data[i:])
			if r != '\u2028' && r != '\u2029' {
				continue
			}
			b.Write(data[start:i])
			b.WriteString(`\u202`)
			b.WriteByte(hexDigits[r&0xF])
			i += size - 1
			start = i + 1
			continue
		}
		b.Write(data[start:i])
		b.WriteString(`\u00`)
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xF])
		start = i + 1
	}
	b.Write(data[start:])
}
