"""Tasks' writes, one module per service family: `completion` (the hot path, DESIGN.md §4),
`ideas`, `enrollments` and `exports` (the metered ones, which count through usage's services
inside their own transaction)."""
