# Smart Region Ostfriesland — one-machine setup (Debian 12, as root).
#
#   make run    install everything, start the default instance (CKAN on http://127.0.0.1:5000/)
#   make test   install everything, start the test instance, run the test suite against it
#
# Every target is safe to repeat: system packages are installed only when missing, third-party
# Python requirements only when requirements/*.txt change, the project's own packages only when
# their sources change, and `smartregion up` leaves running services alone.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Debian's interpreter (3.11), on purpose not whatever `python3` is first on PATH (pyenv etc.).
SYSTEM_PYTHON ?= /usr/bin/python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
SMARTREGION := $(VENV)/bin/smartregion

REQUIREMENTS := requirements/platform.txt requirements/dev.txt
STAMP_REQS := $(VENV)/.stamp-requirements

# The project's own packages: the shared vocabulary (schemas/, which every other package
# depends on, so it goes first), the operator CLI, the broker, the NGSI-LD adapters, the
# harvesters and every CKAN extension with a pyproject.toml.
# Installed NON-editable: CKAN's `ckanext` is a legacy pkg_resources namespace package, and
# editable installs of ckanext-* distributions break its import. pip reinstalls a local
# directory even at an unchanged version, so a stamp per package is all that is needed; its
# stale build/ goes first, or setuptools would ship modules deleted from the sources.
PROJECT_PKGS := schemas cli context-broker ngsi-adapters harvesters $(patsubst %/pyproject.toml,%,$(wildcard ckan-extensions/*/pyproject.toml))
pkg_stamp = $(VENV)/.stamp-pkg-$(notdir $(1))
pkg_sources = $(shell find $(1) -type f -not -path '*/__pycache__/*' -not -path '*.egg-info*' \
	-not -path '*/build/*' -not -path '*/.pytest_cache/*' -not -name '*.pyc' 2>/dev/null)
PROJECT_STAMPS := $(foreach p,$(PROJECT_PKGS),$(call pkg_stamp,$(p)))

.PHONY: help install run stop status test contract-test lint bench clean system-packages

help:
	@echo "make run      install and start the platform (default instance)"
	@echo "make test     install, start the test instance, run the tests"
	@echo "make stop     stop every service the project started (both instances)"
	@echo "make status   show the state of the default instance"
	@echo "make lint     ruff check"
	@echo "make bench    benchmarks of CKAN search and the NGSI-LD broker (bench/)"
	@echo "make clean    remove the virtualenv and build leftovers (keeps data)"

install: system-packages $(STAMP_REQS) $(PROJECT_STAMPS)

# Cheap (dpkg-query only) when everything is there, so it runs on every install: a package
# removed since the last run comes back.
system-packages:
	cli/scripts/install-system-packages.sh

$(PY): | system-packages
	$(SYSTEM_PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip setuptools wheel

$(STAMP_REQS): $(REQUIREMENTS) | $(PY)
	$(PIP) install --upgrade pip setuptools wheel
	$(PIP) install $(foreach r,$(REQUIREMENTS),-r $(r))
	touch $@

# Every package but schemas/ needs smartregion-schemas installed first (pip must not look for
# it on PyPI), and is reinstalled when it changes.
define project_pkg_rule
$(call pkg_stamp,$(1)): $(call pkg_sources,$(1)) $(STAMP_REQS) $(if $(filter-out schemas,$(1)),$(call pkg_stamp,schemas))
	rm -rf $(1)/build
	$(PIP) install --quiet ./$(1)
	touch $$@
endef
$(foreach p,$(PROJECT_PKGS),$(eval $(call project_pkg_rule,$(p))))

run: install
	$(SMARTREGION) up

# Must work when nothing runs and even when the virtualenv is gone (then there is nothing of
# ours that `smartregion` could find either, except services started by an earlier venv:
# the fallback stops them through their pidfiles).
stop:
	@if [ -x $(SMARTREGION) ]; then \
		$(SMARTREGION) down --all; \
	else \
		cli/scripts/stop-without-venv.sh; \
	fi

status:
	@if [ -x $(SMARTREGION) ]; then $(SMARTREGION) status; \
	else echo "Not installed yet: run 'make run'."; fi

test: install lint
	$(SMARTREGION) up --instance test
	SMARTREGION_INSTANCE=test $(VENV)/bin/pytest

lint: $(STAMP_REQS)
	$(VENV)/bin/ruff check .

# NGSI-LD contract suite alone; against any broker with BROKER_URL (and BROKER_TOKEN), e.g.
#   BROKER_URL=http://localhost:1026 make contract-test      (Orion-LD, Scorpio …)
contract-test: install
	@if [ -z "$${BROKER_URL:-}" ]; then $(SMARTREGION) up --instance test --no-sample; fi
	SMARTREGION_INSTANCE=test $(VENV)/bin/pytest tests/contract

# Own instance (ports 35xxx); results in bench/results/. bench.search fills CKAN once with
# 10,000 datasets; bench.broker loads 100,000 entities into the broker (tenant "bench") and
# drives it with wrk (Debian package, installed here when missing); bench.notifications and
# bench.temporal measure subscriptions and the temporal API; bench.adapters the adapters' push
# path (sink, outbox, batch upserts) into the broker.
bench: install
	@command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk
	$(SMARTREGION) up --instance bench --no-sample
	$(PY) -m bench.search
	$(PY) -m bench.broker
	$(PY) -m bench.notifications
	$(PY) -m bench.temporal
	$(PY) -m bench.adapters

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build cli/build schemas/build ckan-extensions/*/build
	find . -name '__pycache__' -type d -prune -exec rm -rf {} + 2>/dev/null || true
	find . -name '*.egg-info' -type d -prune -not -path './.git/*' -exec rm -rf {} + 2>/dev/null || true
