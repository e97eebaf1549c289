//! Findings and their renderers: text, JSON, GitHub Actions annotations.
