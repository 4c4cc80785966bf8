# Convenience wrappers; ./dev does the work (it needs no make on a fresh machine).
.PHONY: demo test bench
demo:
	./dev demo
test:
	./dev test
bench:
	./dev bench
