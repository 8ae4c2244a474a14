package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"kpiflow/errcode"
)

// PreflightHeader lets a POST carry a raw query (application/graphql). No
// browser sends a custom header across origins without a CORS preflight,
// which only the allowed origins pass: a form on another site cannot.
const PreflightHeader = "GraphQL-Require-Preflight"

// DefaultMaxBodyBytes bounds a request body: 1 MiB.
const DefaultMaxBodyBytes = 1 << 20

// httpRules makes /graphql speak GraphQL over HTTP as its specification
// asks, where gqlgen does not by itself, and refuses what it should not
// read at all:
//
//   - a body over the size limit: 413;
//   - a POST whose body is not JSON (application/json or
//     application/graphql-response+json): 415, unless it is a raw query
//     (application/graphql) with the preflight header. A browser sends
//     neither across origins without a CORS preflight, so a form cannot
//     make a signed-in user's browser run a mutation (CSRF);
//   - a batch (a JSON array of operations): 400;
//   - a mutation over GET: 405 with Allow: POST (gqlgen says 406);
//   - a request running past the timeout: its statements are cancelled;
//   - a request error (parse, validation) answered in application/json:
//     200, not gqlgen's 422; in application/graphql-response+json: 400 and
//     no "data" key.
//
// WebSocket upgrades pass through untouched.
func httpRules(maxBody int64, timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		// Every statement of the request runs under its deadline: a database
		// that stops answering costs the client the timeout, not a hang.
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		r = r.WithContext(ctx)
		switch r.Method {
		case http.MethodGet, http.MethodPost, http.MethodOptions:
		default:
			w.Header().Set("Allow", "GET, POST")
			refuse(w, http.StatusMethodNotAllowed, "/graphql answers GET (queries) and POST only")
			return
		}
		if r.Method == http.MethodGet {
			q := r.URL.Query()
			for _, name := range []string{"variables", "extensions"} {
				if v := q.Get(name); v != "" {
					if msg := mustBeObject(name, []byte(v)); msg != "" {
						refuse(w, http.StatusBadRequest, msg)
						return
					}
				}
			}
		}
		if r.Method == http.MethodPost {
			mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			rawQuery := mt == "application/graphql" && r.Header.Get(PreflightHeader) != ""
			if mt != "application/json" && mt != "application/graphql-response+json" && !rawQuery {
				refuse(w, http.StatusUnsupportedMediaType, "send the operation as JSON, with Content-Type: application/json "+
					"(or as application/graphql with a "+PreflightHeader+" header)")
				return
			}
			if r.ContentLength > maxBody {
				refuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is over %d bytes", maxBody))
				return
			}
			body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
			if err != nil {
				refuse(w, http.StatusBadRequest, "the request body could not be read")
				return
			}
			if int64(len(body)) > maxBody {
				refuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is over %d bytes", maxBody))
				return
			}
			if rawQuery {
				body, _ = json.Marshal(map[string]string{"query": string(body)})
			}
			if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '[' {
				refuse(w, http.StatusBadRequest, "batched operations are not accepted: send one operation per request")
				return
			}
			if !json.Valid(body) {
				refuse(w, http.StatusBadRequest, "the request body is not valid JSON")
				return
			}
			if msg := checkRequestBody(body); msg != "" {
				refuse(w, http.StatusBadRequest, msg)
				return
			}
			// gqlgen accepts application/json only; the response type is
			// negotiated from Accept.
			r.Header.Set("Content-Type", "application/json")
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		rec := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		status, body := rec.status, rec.body.Bytes()
		graphqlResponse := strings.HasPrefix(rec.header.Get("Content-Type"), "application/graphql-response+json")
		switch {
		case r.Method == http.MethodGet && status == http.StatusNotAcceptable:
			rec.header.Set("Allow", "POST")
			status = http.StatusMethodNotAllowed
		case status == http.StatusUnprocessableEntity && !graphqlResponse:
			status = http.StatusOK
		case status == http.StatusBadRequest && graphqlResponse:
			body = withoutData(body)
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
}

// checkRequestBody says what is wrong with the shape of a (valid JSON)
// request body, or "": it must be an object whose query and operationName
// are strings and whose variables and extensions are objects, each absent
// or null allowed. gqlgen's decoder panics or answers without a code
// otherwise.
func checkRequestBody(body []byte) string {
	var params map[string]json.RawMessage
	if err := json.Unmarshal(body, &params); err != nil || params == nil {
		return `the request body must be a JSON object, such as {"query": "{ viewer { id } }"}`
	}
	for _, name := range []string{"query", "operationName"} {
		if v, ok := params[name]; ok && !isNull(v) {
			var s string
			if json.Unmarshal(v, &s) != nil {
				return fmt.Sprintf("%q must be a string", name)
			}
		}
	}
	for _, name := range []string{"variables", "extensions"} {
		if v, ok := params[name]; ok && !isNull(v) {
			if msg := mustBeObject(name, v); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// mustBeObject says what is wrong with a JSON value that must be an
// object, or "".
func mustBeObject(name string, v []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(v, &m) != nil || m == nil {
		return fmt.Sprintf("%q must be a JSON object", name)
	}
	return ""
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// withoutData removes the "data" key of a response that has none to give.
func withoutData(body []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	delete(m, "data")
	b, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return b
}

func refuse(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": errcode.BadUserInput}}},
	})
}

// bufferedResponse holds a response until httpRules has looked at it.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedResponse) WriteHeader(status int)      { b.status = status }
