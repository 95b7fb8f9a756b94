# The distilsearch UI for docker-compose.yml (server mode).
# torch==2.13.0 from the default index is a large CUDA build; pass a CPU wheel index with
#   docker compose build --build-arg PIP_EXTRA_INDEX_URL=<your CPU wheel index>
FROM python:3.11-slim
ARG PIP_EXTRA_INDEX_URL=""
RUN apt-get update && apt-get install -y --no-install-recommends libmagic1 make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY core ./core
COPY encoders ./encoders
COPY indexer ./indexer
COPY distill ./distill
COPY evaluation ./evaluation
COPY usecases ./usecases
COPY search_app ./search_app
COPY shell ./shell
RUN pip install --no-cache-dir torch==2.13.0 \
    && pip install --no-cache-dir -c constraints.txt . \
    && pip install --no-cache-dir --no-deps -c constraints.txt unstructured-inference
EXPOSE 8501
CMD ["distilsearch", "serve", "--host", "0.0.0.0", "--port", "8501"]
