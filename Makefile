# Thin wrapper around meson. `make run` and `make test` install what they
# need (Debian 12) the first time.
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 8
PYTEST ?= /usr/bin/python3 -m pytest
# The integration suite on two pytest-xdist workers, a test file each at a
# time (`make integration PYTEST_JOBS=0` for one process): 517 s against
# 992 s in one process, measured side by side on the loaded 2-core VM.
# Each worker takes its own loopback addresses (conftest.py).
PYTEST_JOBS ?= 2
PYTEST_PAR = $(if $(filter 0,$(PYTEST_JOBS)),,-n $(PYTEST_JOBS) --dist loadfile)

.PHONY: all deps test-deps run test unit asan integration fuzz bench clean install

all: deps
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD)
	ninja -C $(BUILD)

deps:
	@tools/deps.sh build

test-deps:
	@tools/deps.sh test

run: all
	$(BUILD)/gnomond -n

unit: test-deps all
	meson test -C $(BUILD) --print-errorlogs

# Unit tests and the integration suite again on an ASan/UBSan build.
asan: test-deps
	@[ -f $(ASAN_BUILD)/build.ninja ] || CC=clang meson setup $(ASAN_BUILD) \
		-Db_sanitize=address,undefined -Db_lundef=false -Dbench=false \
		-Dc_args=-fno-sanitize-recover=all
	ninja -C $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C $(ASAN_BUILD) --print-errorlogs

integration: test-deps all
	GNOMOND=$(CURDIR)/$(BUILD)/gnomond GNOMONCTL=$(CURDIR)/$(BUILD)/gnomonctl \
		GNOMON_SNMP=$(CURDIR)/$(BUILD)/gnomon-snmp \
		$(PYTEST) tests/integration -q -p no:cacheprovider --durations=25 $(PYTEST_PAR)

integration-asan: asan
	GNOMOND=$(CURDIR)/$(ASAN_BUILD)/gnomond GNOMONCTL=$(CURDIR)/$(ASAN_BUILD)/gnomonctl \
		GNOMON_SNMP=$(CURDIR)/$(ASAN_BUILD)/gnomon-snmp \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(PYTEST) tests/integration -q -p no:cacheprovider --durations=25 $(PYTEST_PAR)

fuzz: test-deps
	@[ -f $(FUZZ_BUILD)/build.ninja ] || CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true \
		-Dbench=false -Db_lundef=false
	ninja -C $(FUZZ_BUILD)
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

test: unit integration integration-asan fuzz
	@echo "all tests passed"

# meson install: programs, man pages, the configuration (kept if present),
# systemd units, sysusers.d, tmpfiles.d, logrotate; paths from the build's
# prefix and sysconfdir (`meson setup build --prefix=/usr` for /etc/gnomon),
# DESTDIR honoured. README "Installing".
install: all
	meson install -C $(BUILD) --no-rebuild

bench: all
	bench/server-bench.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
