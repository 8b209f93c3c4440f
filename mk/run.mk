# The embedded default pipeline (examples/local/): parameter files →
# simulation → results.jsonl + a signed webhook received by `mfn receive`,
# with a dead-letter file. Re-runnable: the inputs are copied into the
# git-ignored examples/local/out/ first.

RUN_OUT      := examples/local/out
RUN_RECEIVER := 127.0.0.1:9090

##@ Pipeline

.PHONY: run
run: build ## Run the local example pipeline (examples/local/) end to end and print where the results are.
	@rm -rf $(RUN_OUT) && mkdir -p $(RUN_OUT)/params
	@cp examples/local/params/*.json $(RUN_OUT)/params/
	@secret=$$(sed -n 's/^ *hmac: *//p' examples/local/secret.yaml); \
	MFN_LOCAL_WEBHOOK_SECRET="$$secret" $(BIN)/mfn receive -secret-env MFN_LOCAL_WEBHOOK_SECRET \
		-listen $(RUN_RECEIVER) -out $(RUN_OUT)/webhook-events.jsonl 2>$(RUN_OUT)/receiver.log & \
	receiver=$$!; \
	trap 'kill $$receiver 2>/dev/null || true' EXIT; \
	for i in $$(seq 100); do curl -fs http://$(RUN_RECEIVER)/healthz >/dev/null && break; sleep 0.1; done; \
	code=0; $(BIN)/mfn run -f examples/local/ -log-level warn || code=$$?; \
	kill $$receiver; wait $$receiver 2>/dev/null || true; trap - EXIT; \
	echo; echo "Results in $(RUN_OUT)/:"; \
	printf '  %-28s %5s lines  (every publisher: the §9.2 result envelopes)\n' results.jsonl "$$(wc -l < $(RUN_OUT)/results.jsonl)"; \
	printf '  %-28s %5s lines  (accepted by mfn receive after signature checks)\n' webhook-events.jsonl "$$(wc -l < $(RUN_OUT)/webhook-events.jsonl)"; \
	printf '  %-28s %5s lines  (failure envelopes: error + original payload)\n' dead-letter.jsonl "$$(wc -l < $(RUN_OUT)/dead-letter.jsonl 2>/dev/null || echo 0)"; \
	printf '  %-28s %5s files\n' processed/ "$$(ls $(RUN_OUT)/processed 2>/dev/null | wc -l)"; \
	printf '  %-28s %5s files\n' failed/ "$$(ls $(RUN_OUT)/failed 2>/dev/null | wc -l)"; \
	exit $$code
