//! See [`super`]; filled in by its own change.
