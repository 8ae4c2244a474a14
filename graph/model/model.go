// Package model holds the GraphQL input types that wrap ent's generated
// inputs with the fields ent cannot express: money as a Decimal, and the
// ID of the object an update applies to.
package model

import (
	"kpiflow/ent"
	"kpiflow/ent/schema/pulid"
	"kpiflow/money"
)

// CreateDealInput is ent's CreateDealInput with a Decimal amount and an
// optional team.
type CreateDealInput struct {
	ent.CreateDealInput
	Amount money.Decimal
	TeamID *pulid.ID
}

// UpdateDealInput is ent's UpdateDealInput with the deal's ID and an
// optional Decimal amount.
type UpdateDealInput struct {
	ent.UpdateDealInput
	ID     pulid.ID
	Amount *money.Decimal
}

// UpdateMeetingInput is ent's UpdateMeetingInput with the meeting's ID.
type UpdateMeetingInput struct {
	ent.UpdateMeetingInput
	ID pulid.ID
}

// CreateUserInput is ent's CreateUserInput with an initial password.
type CreateUserInput struct {
	ent.CreateUserInput
	Password *string
}

// UpdateUserInput is ent's UpdateUserInput with the user's ID and a new
// password.
type UpdateUserInput struct {
	ent.UpdateUserInput
	ID       pulid.ID
	Password *string
}

// UpdateTeamInput is ent's UpdateTeamInput with the team's ID.
type UpdateTeamInput struct {
	ent.UpdateTeamInput
	ID pulid.ID
}
