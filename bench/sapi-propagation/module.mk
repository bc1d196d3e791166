# bench/sapi-propagation: the watcher the benchmark drives (not installed;
# bench/sapi-propagation/run builds it).
.SECONDEXPANSION:
$(BUILD)/bench/sapi-propagation/watcher: \
    $(BUILD)/bench/sapi-propagation/watcher.o $$(LIBRARIES)
	@mkdir -p $(dir $@)
	$(LINK)
