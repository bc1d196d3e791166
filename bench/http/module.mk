# bench/http: the server bench/http/run measures (not installed).  It links
# libsdc alone, so it builds whatever state the other components are in.
BENCH_HTTP := $(BUILD)/bin/sdc-http-bench
BENCH_BINS += $(BENCH_HTTP)

all: $(BENCH_HTTP)

# lib/module.mk comes later in the sorted include: expand LIBSDC late.
.SECONDEXPANSION:
$(BENCH_HTTP): $(BUILD)/bench/http/server.o $$(LIBSDC)
	@mkdir -p $(dir $@)
	$(LINK_ECHO) $(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBSDC) $(LDLIBS)
