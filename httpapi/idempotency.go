package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"kpiflow/ent"
	"kpiflow/ent/idempotencykey"
	"kpiflow/errcode"
	"kpiflow/request"
	"kpiflow/viewer"
)

// IdempotencyTTL is how long a response is kept for retries.
const IdempotencyTTL = 24 * time.Hour

// idempotent lets a client retry a mutation safely, as Stripe's API does:
// a mutation sent with an Idempotency-Key header has its response stored
// per (viewer, key) for 24 hours, and a retry with the same key gets the
// stored response (Idempotent-Replayed: true) instead of a second effect.
// The same key with a different request is refused; concurrent retries
// wait for the first to finish. The claim on a key is a row with a unique
// index, so this holds across replicas. Responses that say the server
// failed (INTERNAL, UNAVAILABLE) are not kept: the retry runs again.
func idempotent(client *ent.Client, logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if key == "" || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		v := viewer.FromContext(r.Context())
		if v == nil {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			refuse(w, http.StatusBadRequest, "the request body could not be read")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if !isMutation(body) {
			next.ServeHTTP(w, r) // queries are idempotent by nature
			return
		}
		if len(key) > 255 {
			refuse(w, http.StatusBadRequest, "an Idempotency-Key has at most 255 characters")
			return
		}
		ctx := viewer.System(r.Context())
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])
		for {
			err := client.IdempotencyKey.Create().
				SetOrganizationID(v.OrgID).SetViewerID(v.UserID).SetKey(key).SetRequestHash(hash).
				SetExpiresAt(time.Now().Add(IdempotencyTTL)).Exec(ctx)
			if err == nil {
				break // ours: run it
			}
			if !ent.IsConstraintError(err) {
				logger.ErrorContext(ctx, "idempotency key", "request_id", request.ID(ctx), "error", err)
				refuse(w, http.StatusServiceUnavailable, "the request could not be recorded: try again")
				return
			}
			k, err := client.IdempotencyKey.Query().
				Where(idempotencykey.ViewerID(v.UserID), idempotencykey.Key(key)).Only(ctx)
			if ent.IsNotFound(err) {
				continue // deleted meanwhile: claim it again
			}
			if err != nil {
				refuse(w, http.StatusServiceUnavailable, "the request could not be recorded: try again")
				return
			}
			switch {
			case time.Now().After(k.ExpiresAt):
				_ = client.IdempotencyKey.DeleteOne(k).Exec(ctx)
				continue
			case k.RequestHash != hash:
				refuse(w, http.StatusBadRequest, "this Idempotency-Key was used for a different request")
				return
			case k.Done:
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Idempotent-Replayed", "true")
				w.WriteHeader(k.Status)
				_, _ = io.WriteString(w, k.Response)
				return
			}
			// The first request is still running: wait for its answer.
			select {
			case <-r.Context().Done():
				refuse(w, http.StatusConflict, "a request with this Idempotency-Key is still running")
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
		rec := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		keep := rec.status < 500 && !failedOnServer(rec.body.Bytes())
		// The claim is settled with the request's own deadline gone: a
		// client that hung up must not leave the key claimed forever.
		settle := context.WithoutCancel(ctx)
		if keep {
			err = client.IdempotencyKey.Update().
				Where(idempotencykey.ViewerID(v.UserID), idempotencykey.Key(key)).
				SetDone(true).SetStatus(rec.status).SetResponse(rec.body.String()).Exec(settle)
		} else {
			_, err = client.IdempotencyKey.Delete().
				Where(idempotencykey.ViewerID(v.UserID), idempotencykey.Key(key)).Exec(settle)
		}
		if err != nil {
			logger.ErrorContext(ctx, "settling an idempotency key", "request_id", request.ID(ctx), "error", err)
		}
		for k, vs := range rec.header {
			w.Header()[k] = vs
		}
		w.Header().Set("Content-Length", strconv.Itoa(rec.body.Len()))
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body.Bytes())
	})
}

// isMutation reports whether a request body runs a mutation.
func isMutation(body []byte) bool {
	var p struct {
		Query         string `json:"query"`
		OperationName string `json:"operationName"`
	}
	if json.Unmarshal(body, &p) != nil {
		return false
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: p.Query})
	if err != nil {
		return false
	}
	for _, op := range doc.Operations {
		if (p.OperationName == "" || op.Name == p.OperationName) && op.Operation == ast.Mutation {
			return true
		}
	}
	return false
}

// failedOnServer reports whether a response carries an error that is the
// server's fault, which a retry should not be denied.
func failedOnServer(body []byte) bool {
	var r struct {
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &r) != nil {
		return true
	}
	for _, e := range r.Errors {
		switch e.Extensions["code"] {
		case string(errcode.Internal), string(errcode.Unavailable):
			return true
		}
	}
	return false
}
