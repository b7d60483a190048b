"""Full-text search over every content type, in English and Traditional Chinese."""
