"""The newsroom: web drafting, graded review, media and publishing of site articles."""
