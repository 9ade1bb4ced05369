# Multi-stage build of the CrmEtl worker / crmetl command line for production: published with -p:DevTools=false, it
# has no sandbox CRMs, no demo and no benchmarks (those verbs stay in development builds: ./demo.sh, 'crmetl bench').
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props .editorconfig CrmEtl.sln appsettings.json ./
COPY db/ db/
COPY src/ src/
RUN dotnet publish src/CrmEtl.Host/CrmEtl.Host.csproj -c Release -p:DevTools=false -o /app --no-self-contained

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# Configure with CRMETL__Database__ConnectionString, CRMETL__Api__Key and friends; see docs/OPERATIONS.md.
# Inside a container the API must listen beyond loopback to be reachable from the host or a proxy.
ENV CRMETL__Api__Urls=http://0.0.0.0:8080 \
    CRMETL__Logs__Format=json \
    CRMETL__DataProtection__KeysDirectory=/keys
RUN mkdir -p /keys && chown app /keys
VOLUME /keys
EXPOSE 8080
USER app
ENTRYPOINT ["./crmetl"]
CMD ["worker"]
