"""Data elements (数据元件): pipeline outputs, versioned and immutable (issue 4 §6–8)."""
