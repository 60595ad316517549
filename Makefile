# dangjian-portal: every target creates and uses .venv itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export NO_MKDOCS_2_WARNING := 1

.PHONY: install run site preview test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## site: build the static site into site/ (strict: any content error fails)
site: $(STAMP)
	$(BIN)/mkdocs build --strict

## run: set up instance/portal.db (demo data loaded once), build the site into
##      instance/site-live (flask build-site), start the newsroom's job runner, and serve
##      site + app on one origin at http://127.0.0.1:8000. It works on a copy of content/
##      in instance/content (made on the first run: articles published from the web go
##      there), and its builds register new ids in instance/article-ids: the clone's
##      tracked tree is never written. Remove instance/ to start again from content/.
run: export SITE_REGISTRY := instance/article-ids
run: export CONTENT_DIR := $(CURDIR)/instance/content
run: $(STAMP)
	test -d instance/content || (mkdir -p instance && cp -a content instance/content.tmp \
	  && mv instance/content.tmp instance/content)
	$(BIN)/flask --app learning_app db upgrade
	$(BIN)/flask --app learning_app build-site
	$(BIN)/flask --app learning_app load-quizzes quizzes
	$(BIN)/flask --app learning_app load-demo
	@echo "Serving the portal at http://127.0.0.1:8000 (Ctrl-C to stop)"
	$(BIN)/flask --app learning_app newsroom-runner & runner=$$!; \
	trap 'kill $$runner 2>/dev/null; wait $$runner' EXIT; \
	$(BIN)/gunicorn -w 2 -b 127.0.0.1:8000 "learning_app:create_app()"

## preview: live-reloading editor preview, scheduled articles included
preview: $(STAMP)
	SITE_PREVIEW=true $(BIN)/mkdocs serve --strict -a 127.0.0.1:8001

## test: lint, the whole suite on SQLite, then the app tests on PostgreSQL
## (TEST_DATABASE_URL, or a throwaway server from Debian's postgresql binaries)
test: $(STAMP)
	$(BIN)/ruff check site_builder learning_app tests bench
	$(BIN)/pytest --db sqlite
	$(BIN)/pytest --db postgres tests/app

## bench: site build, member import, heartbeat, exam surge and report benchmarks
bench: $(STAMP)
	$(BIN)/python bench/site_build.py --n 1000
	$(BIN)/python bench/site_build.py --n 5000
	$(BIN)/python bench/publish.py --articles 1000 --repeat 3
	$(BIN)/python bench/publish.py --articles 5000
	$(BIN)/python bench/import_members.py --n 100000
	$(BIN)/python bench/heartbeat.py --clients 50 --db sqlite
	$(BIN)/python bench/heartbeat.py --clients 50 --db postgres
	$(BIN)/python bench/exam_surge.py --examinees 2000 --db postgres
	$(BIN)/python bench/exam_surge.py --examinees 2000 --db sqlite
	$(BIN)/python bench/reports.py --members 100000 --db sqlite
	$(BIN)/python bench/reports.py --members 100000 --db postgres
	$(BIN)/python bench/reports.py --members 1000000 --db postgres

clean:
	rm -rf site .cache .pytest_cache .ruff_cache
