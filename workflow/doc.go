// Package workflow owns the target workflow of DESIGN.md §6–§8: the state
// machine of a target (machine.go, the only description of which action is
// allowed in which state and by whom) and the realism check of a proposal
// (realism.go). Targets, reviews, period close and the inbox build on them.
package workflow
