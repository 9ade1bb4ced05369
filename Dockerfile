# Multi-stage build of the CrmEtl worker / crmetl command line.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props .editorconfig CrmEtl.sln appsettings.json ./
COPY db/ db/
COPY src/ src/
RUN dotnet publish src/CrmEtl.Host/CrmEtl.Host.csproj -c Release -o /app --no-self-contained

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# Configure with CRMETL__Database__ConnectionString and friends; see README.
USER app
ENTRYPOINT ["./crmetl"]
CMD ["--help"]
