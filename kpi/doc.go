// Package kpi will own kpiflow's KPI engine (DESIGN.md §4 and §5): KPI
// definitions as data, the fiscal periods of an organization, and the SQL
// aggregates that compute actuals, scorecards, trends and team rollups.
//
// It is empty until the KPI engine is built; the package exists so that the
// layout of the product is in place from the start.
package kpi
