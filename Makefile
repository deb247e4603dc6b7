# Two entry points: `make lab` and `make test`. Everything lands in .venv and
# node_modules inside the repository; stamps in .make/ let a second run reuse
# what is built.
SHELL := bash
# The first Python that runs, newest wanted first: PyMC 6 needs 3.12 (pyenv's
# shims name versions that are installed but not selected, hence the tries).
first_python = $(shell for p in $(1); do $$p -c 'import sys; print(sys.executable)' \
  2>/dev/null && break; done)
PYENV_VERSIONS := $${PYENV_ROOT:-$$HOME/.pyenv}/versions
PYTHON ?= $(call first_python,python3.12 $(PYENV_VERSIONS)/3.12*/bin/python3.12 python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := .make
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
TS_SOURCES := $(shell find labextension/src labextension/style labextension/scripts -name "*.ts" -o -name "*.css" -o -name "*.cjs")

.PHONY: lab vscode test lint test-python test-js test-ui test-vscode test-compat screenshots mutation clean

lab: $(STAMP)/extension
	$(BIN)/jupyter lab examples/ $$([ "$$(id -u)" = 0 ] && echo --allow-root)

test: lint test-python test-js test-ui test-vscode

lint: $(STAMP)/extension
	$(BIN)/ruff check kernel_ext tests bench tools
	$(BIN)/ruff format --check kernel_ext tests bench tools
	$(BIN)/mypy
	PYTHONPATH=kernel_ext $(BIN)/lint-imports --no-cache
	$(BIN)/python tools/module_size.py
	npx eslint labextension/src tests/js tests/ui/tests vscode/src vscode/webview tests/vscode
	npx prettier --check "labextension/**/*.{ts,css}" "tests/js/**/*.ts" "tests/ui/tests/**/*.ts" \
	  "vscode/{src,webview}/**/*.{ts,css}" "tests/vscode/**/*.ts"

test-python: $(STAMP)/extension $(STAMP)/ui $(STAMP)/chromium
	$(BIN)/pytest

test-js: $(STAMP)/node
	npx jest

# The browser tests, then the same front end with its kernels on a Jupyter Kernel
# Gateway (its own config: a gateway plus a JupyterLab started with --gateway-url).
test-ui: $(STAMP)/extension $(STAMP)/ui $(STAMP)/chromium
	cd tests/ui && export PATH="$(CURDIR)/$(BIN):$$PATH"; \
	  npx playwright test; local=$$?; \
	  npx playwright test -c playwright.gateway.config.ts && exit $$local

# VS Code: the extension packed as a .vsix (build/), and its tests in real VS Code
# (code-server) with a test-only stand-in for the Jupyter extension. Node 24
# (code-server accepts no other; @vscode/vsce wants 22 or newer) and code-server
# go to build/vscode-env, which later runs reuse.
VSCODE_ENV := build/vscode-env
NODE24 := $(VSCODE_ENV)/node/bin/node
CODE_SERVER := $(VSCODE_ENV)/code-server/node_modules/.bin/code-server
VSIX := build/jupyter-tgraph.vsix
VSCODE_SOURCES := $(shell find vscode/src vscode/webview -name "*.ts" -o -name "*.css")

vscode: $(STAMP)/extension $(VSIX)
	@if command -v code >/dev/null; then code --install-extension $(VSIX) && code examples/; \
	else echo "Install it in VS Code: code --install-extension $(VSIX)"; fi

test-vscode: $(STAMP)/extension $(VSIX) $(CODE_SERVER) $(STAMP)/vscode-tests $(STAMP)/chromium
	npx jest -c tests/vscode/jest.config.js
	cd tests/vscode && PATH="$(CURDIR)/$(BIN):$$PATH" npx playwright test

$(NODE24):
	bash vscode/tools/setup-env.sh $(VSCODE_ENV)

$(CODE_SERVER): $(NODE24)
	bash vscode/tools/setup-env.sh $(VSCODE_ENV) code-server

$(STAMP)/vscode-node: vscode/package.json vscode/package-lock.json
	@mkdir -p $(STAMP)
	cd vscode && npm ci --no-audit --no-fund
	touch $@

# The shared front end's generated checks come with the JupyterLab build ($(STAMP)/extension).
$(VSIX): $(STAMP)/extension $(STAMP)/vscode-node $(NODE24) $(TS_SOURCES) $(VSCODE_SOURCES) \
  vscode/package.json vscode/build.mjs vscode/README.md
	cd vscode && node build.mjs
	cd vscode && PATH="$(CURDIR)/$(VSCODE_ENV)/node/bin:$$PATH" npx vsce package \
	  --no-dependencies -o $(CURDIR)/$@

$(STAMP)/vscode-tests: tests/vscode/package.json tests/vscode/package-lock.json
	@mkdir -p $(STAMP)
	cd tests/vscode && npm ci --no-audit --no-fund
	touch $@

# The Python tests against the oldest versions pyproject allows, in a venv of
# their own (Python 3.11, versions pinned in tests/compat-oldest.txt). Not in
# CI and not part of `make test`: a second environment costs minutes to build.
COMPAT := build/compat-venv
COMPAT_PYTHON ?= $(call first_python,python3.11 $(PYENV_VERSIONS)/3.11*/bin/python3.11)
test-compat: $(STAMP)/extension $(STAMP)/ui $(STAMP)/chromium
	test -x $(COMPAT)/bin/python || $(COMPAT_PYTHON) -m venv $(COMPAT)
	$(COMPAT)/bin/python -m pip install --quiet --upgrade pip
	$(COMPAT)/bin/python -m pip install --quiet -e ".[test]" -c tests/compat-oldest.txt
	$(COMPAT)/bin/python -m pip list 2>/dev/null | grep -iE '^(pytensor|jax|jaxlib|pymc) '
	PATH="$(CURDIR)/$(COMPAT)/bin:$$PATH" $(COMPAT)/bin/pytest

# The README's pictures come from the browser tests; refreshing them is a
# deliberate step, so a test run never changes tracked files.
screenshots: test-ui
	cp tests/ui/screenshots/*.png docs/

# Mutation testing of the modules whose numbers users trust (slow: not in CI).
# Not in CI: slow on two cores. Settings in pyproject's [tool.mutmut]; the
# mutants are rebuilt from the current sources each run. A subset, for example:
# make mutation MUTANTS='tgraph.timing.* tgraph.layout.x__text*'
MUTANTS ?=
mutation: $(STAMP)/extension
	$(BIN)/python -m pip install --quiet "mutmut>=3,<4"
	rm -rf build/mutation && mkdir -p build/mutation
	ln -s ../../kernel_ext build/mutation/src
	ln -s ../../tests build/mutation/tests
	ln -s ../../examples build/mutation/examples
	ln -s ../../pyproject.toml build/mutation/pyproject.toml
	cd build/mutation && $(CURDIR)/$(BIN)/mutmut run --max-children 2 $(MUTANTS); \
		$(CURDIR)/$(BIN)/mutmut results

$(STAMP)/venv: pyproject.toml
	@mkdir -p $(STAMP)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	touch $@

$(STAMP)/node: package.json package-lock.json
	@mkdir -p $(STAMP)
	npm ci --no-audit --no-fund
	touch $@

# Editable install, then the widget bundle and the JupyterLab extension,
# linked into the environment so a rebuild needs no reinstall.
LABEXT := $(VENV)/share/jupyter/labextensions/jupyter-tgraph
$(STAMP)/extension: $(STAMP)/venv $(STAMP)/node $(TS_SOURCES) tsconfig.json
	$(BIN)/python -m pip install --quiet -e ".[test]"
	PATH="$(CURDIR)/$(BIN):$$PATH" npm run build
	rm -rf $(LABEXT) && ln -s $(CURDIR)/kernel_ext/tgraph/labextension $(LABEXT)
	touch $@

$(STAMP)/ui: tests/ui/package.json tests/ui/package-lock.json
	@mkdir -p $(STAMP)
	cd tests/ui && npm ci --no-audit --no-fund
	touch $@

# Playwright cannot download a browser here: use Debian's Chromium.
$(STAMP)/chromium:
	@mkdir -p $(STAMP)
	command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "Install Chromium (Debian: apt-get install chromium) and run again." >&2; exit 1; fi; }
	touch $@

clean:
	rm -rf $(STAMP) vscode/dist $(VSIX) labextension/lib kernel_ext/tgraph/labextension kernel_ext/tgraph/static/widget.js kernel_ext/tgraph/static/widget.css tsconfig.tsbuildinfo
