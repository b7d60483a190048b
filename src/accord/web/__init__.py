"""Pages served to browsers: GraphiQL and the timeline page."""
