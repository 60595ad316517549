"""The site's articles in the app: sync from the learning manifest."""
