# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Each installs what is missing (Debian packages when run as root, a .venv with the package) and
# does no needless work on a second run.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
APT_PACKAGES := tesseract-ocr fonts-ocr-b
OCRB_FONT := /usr/share/fonts/opentype/ocr-b/OCRB.otf

.PHONY: demo test setup system-deps bench clean model

demo: setup
	@echo "== MRZ texts (samples/mrz) =="
	@for f in samples/mrz/*.txt; do printf '%s: ' "$$(basename $$f)"; $(BIN)/idcheck mrz --today 2026-11-28 - < $$f; done
	@echo "== images (samples/images) =="
	@$(BIN)/idcheck verify --today 2026-11-28 samples/images/*

test: setup
	$(BIN)/python -m pytest

setup: system-deps $(STAMP)

system-deps:
	@missing=""; \
	command -v tesseract >/dev/null 2>&1 || missing="$$missing tesseract-ocr"; \
	[ -f $(OCRB_FONT) ] || missing="$$missing fonts-ocr-b"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "idcheck needs these system packages:$$missing" >&2; \
	    echo "install them with: sudo apt-get install$$missing" >&2; exit 1; \
	  fi; \
	fi

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

bench: setup
	$(BIN)/python -m benchmarks run --set samples --engines native,tesseract,passporteye

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

# The native recogniser, from scratch (about 25 min on 2 cores, plus ~20 for the fast model; needs `pip install torch==2.13.0 onnx`):
# base model on rendered OCR-B lines, then windows harvested from the real locator/rectifier on generated
# documents (seed 4242, never the benchmark seeds), then fine-tuning on both. Writes models/.
model: setup
	$(BIN)/python -m training.train_native
	$(BIN)/python -m training.harvest_rectified --out training/cache/rectified.npz --count 1500 --seed 4242
	cp training/cache/mrz_char.pt training/cache/base.pt
	$(BIN)/python -m training.train_native --extra training/cache/rectified.npz --extra-repeat 2 \
	  --init training/cache/base.pt --epochs 4 --lr 5e-4
	# the cascade's fast first pass (models/fast/): the same two steps at widths 12-24-48, same data
	$(BIN)/python -m training.train_native --channels 12,24,48 --out models/fast --weights training/cache/fast_base.pt
	$(BIN)/python -m training.train_native --channels 12,24,48 --extra training/cache/rectified.npz --extra-repeat 2 \
	  --init training/cache/fast_base.pt --epochs 4 --lr 5e-4 --out models/fast --weights training/cache/fast.pt
