// Package page is what every benchctl report is made of and how it is
// spelled: a document of sections, tables and footnoted cells; the
// formats of its figures (durations, bytes, counts, percentages,
// intervals); and its writers, markdown for GitHub, plain text for a
// terminal (tables drawn by WriteTextTable) and one self-contained HTML
// page.
//
// The report of one results file (package reports), of several side by
// side (reports/multifile) and of a comparison (reports/comparison) build
// their content over it; it knows nothing of which report it spells.
package page
