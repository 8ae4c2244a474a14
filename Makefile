# kpiflow: the two commands a newcomer needs are `make run` and `make test`.

GO ?= go

.PHONY: run test test-fast bench generate vet build ci clean web

## run: serve the API on the embedded SQLite database, with demo data (Ctrl-C stops it)
## The binary is built, then run in the recipe's place: `go run` would end
## an interrupted server's clean stop with an error status.
run:
	@$(GO) build -o bin/kpiflow .
	@exec bin/kpiflow serve --demo

## test: the whole suite, on SQLite and a throwaway PostgreSQL
test:
	scripts/test.sh

## test-fast: the inner loop: SQLite only, no race detector, large seeds skipped (about two minutes)
test-fast:
	scripts/test-fast.sh

## bench: load a large demo dataset on SQLite and PostgreSQL, measure scorecards one at a time,
## then a load test at fixed rates beside a plain net/http baseline (figures for docs/BENCHMARKS.md;
## ARGS="--deals 100000 --meetings 300000 --rates 20,100 --seconds 10" to change the run)
bench:
	scripts/bench.sh $(ARGS)

## generate: regenerate ent and gqlgen code from the schemas
generate:
	$(GO) generate ./...

## web: rebuild the pages (the console and GraphiQL, with the console's generated types) into web/dist, which the binary embeds; commit the result
web:
	cd web && npm ci --no-audit --no-fund && npm run build

## vet: go vet
vet:
	$(GO) vet ./...

## build: the kpiflow binary in bin/
build:
	$(GO) build -o bin/kpiflow .

## ci: what CI runs
ci:
	bash .ci/run

clean:
	rm -rf bin
