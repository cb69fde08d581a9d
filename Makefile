# roamnat: top-level entry points. See README.md.
BUILD      ?= build
BUILD_SAN  ?= build-asan
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 75

.PHONY: all deps build test unit fuzz integration kmod kmod-test demo demo-wifi bench clean install

all: build

deps:
	@packaging/install-deps.sh

$(BUILD)/Makefile: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD)/Makefile
	@$(MAKE) --no-print-directory -C $(BUILD) -j$(JOBS)

$(BUILD_SAN)/Makefile: CMakeLists.txt | deps
	cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DROAMNAT_SANITIZE=ON >/dev/null

# Unit tests run under AddressSanitizer and UndefinedBehaviorSanitizer.
unit: deps $(BUILD_SAN)/Makefile
	@$(MAKE) --no-print-directory -C $(BUILD_SAN) -j$(JOBS) unit_tests
	cd $(BUILD_SAN) && ctest --output-on-failure

fuzz: deps
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

integration: build
	@tests/integration/run.sh

# roamnat.ko against the installed Debian kernel's headers (KVER/KDIR override).
kmod: deps
	@$(MAKE) --no-print-directory -C kmod

kmod-test: build
	@tests/kmod/lint.sh
	@tests/kmod/run.sh

test: build unit fuzz integration kmod-test

demo: build
	@lab/demo.sh

# The same timeline on real Wi-Fi, in the QEMU guest (about 3 minutes).
demo-wifi: build
	@lab/demo-wifi.sh

bench: build
	@bench/run.sh

install: build
	install -D -m 755 $(BUILD)/roamd $(DESTDIR)/usr/sbin/roamd
	install -D -m 755 $(BUILD)/roamcoord $(DESTDIR)/usr/sbin/roamcoord
	install -D -m 755 $(BUILD)/roamctl $(DESTDIR)/usr/sbin/roamctl
	install -D -m 755 lab/roamlab $(DESTDIR)/usr/sbin/roamlab
	install -D -m 644 packaging/systemd/roamd.service $(DESTDIR)/lib/systemd/system/roamd.service
	install -D -m 644 packaging/systemd/roamcoord.service $(DESTDIR)/lib/systemd/system/roamcoord.service

clean:
	rm -rf $(BUILD) $(BUILD_SAN) build-fuzz
	-$(MAKE) -C kmod clean
