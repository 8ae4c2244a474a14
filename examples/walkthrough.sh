#!/usr/bin/env bash
# A walk through kpiflow's target workflow with curl and jq, against a
# server with the demo data (`make run`):
#   the rep signs in, finds a KPI and a coming quarter it has no target for,
#   and proposes one; the manager signs in, approves it, and decides the
#   open review of the team, if there is one.
#
#   examples/walkthrough.sh [BASE_URL]      (or KPIFLOW_URL; default http://127.0.0.1:8080)
#
# It stops with a non-zero status at the first GraphQL error.
set -euo pipefail

BASE=${1:-${KPIFLOW_URL:-http://127.0.0.1:8080}}
PASSWORD=${KPIFLOW_DEMO_PASSWORD:-demo-password}
TOKEN=

# gql QUERY [VARIABLES_JSON]: runs an operation and prints its data; any
# error in the answer ends the walk.
gql() {
  local body answer vars=${2-'{}'}
  # Variables that are not a JSON object are a mistake of the caller (a jq
  # that failed inside "$(…)"): stop rather than send something else.
  if ! jq -e 'type == "object"' >/dev/null 2>&1 <<<"$vars"; then
    echo "walkthrough: bad variables for: $1" >&2
    exit 1
  fi
  body=$(jq -n --arg q "$1" --argjson v "$vars" '{query: $q, variables: $v}')
  answer=$(curl -sS "$BASE/graphql" -H 'Content-Type: application/json' \
    ${TOKEN:+-H "Authorization: Bearer $TOKEN"} -d "$body") || {
    echo "walkthrough: no answer from $BASE/graphql" >&2
    exit 1
  }
  if ! jq -e 'has("data") or has("errors")' >/dev/null 2>&1 <<<"$answer"; then
    echo "walkthrough: not a GraphQL answer: $answer" >&2
    exit 1
  fi
  if jq -e '(.errors // []) | length > 0' >/dev/null <<<"$answer"; then
    echo "walkthrough: GraphQL error:" >&2
    jq '.errors' >&2 <<<"$answer"
    exit 1
  fi
  jq '.data' <<<"$answer"
}

step() { printf '\n== %s\n' "$*"; }

sign_in() {
  local data
  data=$(gql 'mutation($in: LoginInput!) { login(input: $in) { accessToken viewer { id name role team { id name } } } }' \
    "$(jq -n --arg e "$1" --arg p "$PASSWORD" '{in: {email: $e, password: $p}}')")
  TOKEN=$(jq -r '.login.accessToken' <<<"$data")
  VIEWER=$(jq '.login.viewer' <<<"$data")
  echo "signed in as $(jq -r '"\(.name) (\(.role))"' <<<"$VIEWER")"
}

step "The rep signs in"
sign_in rep@demo.kpiflow.test
REP_ID=$(jq -r '.id' <<<"$VIEWER")
TEAM_ID=$(jq -r '.team.id' <<<"$VIEWER")
echo "rep $REP_ID, team $(jq -r '.team.name' <<<"$VIEWER") ($TEAM_ID)"

step "The KPIs counted in whole numbers"
KPIS=$(gql '{ kpis(where: {unit: COUNT, enabled: true}, orderBy: {field: KEY, direction: ASC}) { edges { node { id key name } } } }' |
  jq '[.kpis.edges[].node]')
jq -r '.[] | "\(.key)\t\(.id)"' <<<"$KPIS"

step "A coming quarter and a KPI without a target of the rep's yet"
AT=$(gql '{ period(kind: QUARTER) { endsAt } }' | jq -r '.period.endsAt')
KPI_ID= PERIOD=
for _ in 1 2 3 4 5 6 7 8; do
  P=$(gql 'query($at: Time) { period(kind: QUARTER, at: $at) { year index label endsAt } }' "$(jq -n --arg at "$AT" '{at: $at}')" | jq '.period')
  TAKEN=$(gql 'query($w: TargetWhereInput) { targets(where: $w, first: 100) { edges { node { kpi { id } } } } }' \
    "$(jq -n --arg u "$REP_ID" --argjson p "$P" '{w: {userID: $u, periodKind: "QUARTER", periodYear: $p.year, periodIndex: $p.index}}')" |
    jq '[.targets.edges[].node.kpi.id]')
  KPI_ID=$(jq -r --argjson taken "$TAKEN" '[.[] | select(.id as $id | $taken | index($id) | not)][0].id // empty' <<<"$KPIS")
  if [ -n "$KPI_ID" ]; then
    PERIOD=$P
    break
  fi
  AT=$(jq -r '.endsAt' <<<"$P")
done
if [ -z "$KPI_ID" ]; then
  echo "walkthrough: every count KPI already has a target of the rep's in the next eight quarters" >&2
  exit 1
fi
LABEL=$(jq -r '.label' <<<"$PERIOD")
echo "KPI $(jq -r --arg id "$KPI_ID" '.[] | select(.id == $id) | .key' <<<"$KPIS") for $LABEL"

step "What history suggests for it"
SUGGESTED=$(gql 'query($k: ID!, $u: ID!, $l: String!) { suggestTarget(kpi: $k, scope: {userID: $u}, period: {label: $l}) {
    suggested { value display } assessment { band expected { display } } } }' \
  "$(jq -n --arg k "$KPI_ID" --arg u "$REP_ID" --arg l "$LABEL" '{k: $k, u: $u, l: $l}')" |
  jq -r '.suggestTarget.suggested.value // empty')
VALUE=${SUGGESTED:-5}
echo "suggested: ${SUGGESTED:-nothing (no history)}; proposing $VALUE"

step "The rep proposes the target"
TARGET=$(gql 'mutation($in: CreateTargetDraftInput!) { proposeTarget(input: $in) { target { id status version assessment { band } } } }' \
  "$(jq -n --arg k "$KPI_ID" --arg u "$REP_ID" --arg l "$LABEL" --arg v "$VALUE" \
    '{in: {kpiID: $k, userID: $u, period: {label: $l}, value: $v, rationale: "proposed by examples/walkthrough.sh"}}')" |
  jq '.proposeTarget.target')
TARGET_ID=$(jq -r '.id' <<<"$TARGET")
jq -c . <<<"$TARGET"

step "The manager signs in and finds the proposal in the inbox"
sign_in manager@demo.kpiflow.test
VERSION=$(gql '{ inbox(first: 100) { totalCount edges { node { id reason target { id version } } } } }' |
  jq -r --arg id "$TARGET_ID" '[.inbox.edges[].node | select(.reason == "DECIDE_PROPOSAL" and .target.id == $id)][0].target.version // empty')
if [ -z "$VERSION" ]; then
  echo "walkthrough: the proposal $TARGET_ID is not in the manager's inbox" >&2
  exit 1
fi
echo "in the inbox: $TARGET_ID at version $VERSION"

step "The manager approves it"
gql 'mutation($in: TargetDecisionInput!) { approveTarget(input: $in) { target { id status version approver { name } } } }' \
  "$(jq -n --arg t "$TARGET_ID" --argjson v "$VERSION" '{in: {targetId: $t, expectedVersion: $v, comment: "agreed"}}')" |
  jq -c '.approveTarget.target'

step "The team's open review"
CYCLE=$(gql 'query($team: ID!) { reviewCycles(where: {status: OPEN, teamID: $team}, first: 1, orderBy: {field: POINT, direction: DESC}) {
    edges { node { id point dueAt items(first: 500) { edges { node { id decision suggestedAction suggestionReason target { id kpi { key } user { name } } } } } } } } }' \
  "$(jq -n --arg team "$TEAM_ID" '{team: $team}')" | jq '.reviewCycles.edges[0].node // empty')
if [ -z "$CYCLE" ]; then
  echo "no open review for the team: nothing to decide"
else
  CYCLE_ID=$(jq -r '.id' <<<"$CYCLE")
  echo "review $CYCLE_ID of $(jq -r '.point' <<<"$CYCLE"), due $(jq -r '.dueAt' <<<"$CYCLE")"
  for ITEM in $(jq -r '.items.edges[].node | select(.decision == null) | .id' <<<"$CYCLE"); do
    jq -r --arg id "$ITEM" '.items.edges[].node | select(.id == $id) | "  \(.target.user.name // "team") \(.target.kpi.key): suggests \(.suggestedAction) (\(.suggestionReason)); deciding KEEP"' <<<"$CYCLE"
    gql 'mutation($in: DecideReviewItemInput!) { decideReviewItem(input: $in) { item { id decision } } }' \
      "$(jq -n --arg i "$ITEM" '{in: {itemId: $i, decision: "KEEP"}}')" | jq -c '.decideReviewItem.item'
  done
  step "The manager completes the review"
  gql 'mutation($in: CompleteReviewInput!) { completeReview(input: $in) { cycle { id status completedAt } } }' \
    "$(jq -n --arg c "$CYCLE_ID" '{in: {cycleId: $c}}')" | jq -c '.completeReview.cycle'
fi

step "Done: the target's history of events"
gql 'query($id: ID!) { node(id: $id) { ... on Target { status version events { edges { node { action fromStatus toStatus actor { name } } } } } } }' \
  "$(jq -n --arg id "$TARGET_ID" '{id: $id}')" | jq -c '.node'
