# bench/placement: the program bench/placement/run times (not installed;
# the run script builds it).  It links the placement module alone.
.SECONDEXPANSION:
$(BUILD)/bench/placement/placement: $(BUILD)/bench/placement/placement.o \
    $(BUILD)/dockerapi/placement.o $(BUILD)/dockerapi/affinity.o $$(LIBRARIES)
	@mkdir -p $(dir $@)
	$(LINK)
