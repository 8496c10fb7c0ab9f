# syntax=docker/dockerfile:1
# MnistService images.
#   The service (default target):  docker build -t mnist-service . && docker run -p 8080:8080 mnist-service
#   The training worker:           docker build --target worker -t mnist-worker .
# tests/MnistService.Deploy.Tests replays this file without Docker (same COPYs, same dotnet commands,
# same environment and entry point), so keep its instructions to the forms that test understands.

# ---- build: restore, then the sources -------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /source

# The restore layer: only the files that decide the package graph, so it is rebuilt only when they change.
COPY global.json MnistService.sln Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/MnistService.Core/MnistService.Core.csproj src/MnistService.Core/
COPY src/MnistService.Api/MnistService.Api.csproj src/MnistService.Api/
COPY src/MnistService.Trainer/MnistService.Trainer.csproj src/MnistService.Trainer/
RUN dotnet restore src/MnistService.Api/MnistService.Api.csproj -r linux-x64 \
    && dotnet restore src/MnistService.Trainer/MnistService.Trainer.csproj -r linux-x64

COPY src/ src/
# The service's publish output carries the default model and the page (see MnistService.Api.csproj).
COPY models/mnist-cnn.onnx models/mnist-mlp.onnx models/
COPY wwwroot/ wwwroot/

# linux-x64 only: of ONNX Runtime's native libraries just libonnxruntime.so is published.
FROM build AS publish-service
RUN dotnet publish src/MnistService.Api/MnistService.Api.csproj -c Release -r linux-x64 --self-contained false --no-restore -o /app

FROM build AS publish-worker
RUN dotnet publish src/MnistService.Trainer/MnistService.Trainer.csproj -c Release -r linux-x64 --self-contained false --no-restore -o /app

# ---- worker: mnist-train worker, training jobs dropped into /models/jobs ---------------------------
FROM mcr.microsoft.com/dotnet/runtime:10.0 AS worker
WORKDIR /app
COPY --from=publish-worker /app ./
# /models is the shared model volume; /data holds MNIST (downloaded there on first use when empty).
RUN mkdir -p /models/jobs /data && chown -R 1654:1654 /models /data
ENV MNIST_DATA_DIR=/data
USER $APP_UID
# Healthy while the worker rewrites its alive file (every poll, and every 10 s during a job).
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["bash", "-c", "[ -n \"$(find /tmp/mnist-worker.alive -mmin -1 2>/dev/null)\" ]"]
# mnist-train worker by default; `docker run mnist-worker train --out /models/x.onnx` runs one training.
ENTRYPOINT ["./mnist-train"]
CMD ["worker", "--models", "/models", "--alive-file", "/tmp/mnist-worker.alive"]

# ---- service (default target) -----------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS service
WORKDIR /app
# The app with the default model and the page beside it, in /app/models and /app/wwwroot.
COPY --from=publish-service /app ./
# The image's own environment: port 8080 (as the base image), models and page where publish put them.
ENV ASPNETCORE_HTTP_PORTS=8080 \
    Models__Directory=/app/models \
    StaticFiles__WebRoot=/app/wwwroot
EXPOSE 8080
# The app user (UID 1654) of the .NET images: no root at run time.
USER $APP_UID
# The image has no curl or wget (Ubuntu base plus .NET's libraries), but it has bash, whose /dev/tcp
# is enough for one HTTP request: healthy when /healthz answers 200.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${ASPNETCORE_HTTP_PORTS%%[;,]*} && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["./MnistService.Api"]
