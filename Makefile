# kpiflow: the two commands a newcomer needs are `make run` and `make test`.

GO ?= go

.PHONY: run test bench generate vet build ci clean web

## run: serve the API on the embedded SQLite database, with demo data
run:
	$(GO) run . serve --demo

## test: the whole suite, on SQLite and a throwaway PostgreSQL
test:
	scripts/test.sh

## bench: load a large demo dataset on SQLite and PostgreSQL, measure scorecards one at a time,
## then a load test at fixed rates beside a plain net/http baseline (figures for docs/BENCHMARKS.md;
## ARGS="--deals 100000 --meetings 300000 --rates 20,100 --seconds 10" to change the run)
bench:
	scripts/bench.sh $(ARGS)

## generate: regenerate ent and gqlgen code from the schemas
generate:
	$(GO) generate ./...

## web: rebuild the pages (GraphiQL) into web/dist, which the binary embeds; commit the result
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
