# escape=`
FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build
WORKDIR C:\src
RUN dotnet restore `
    && dotnet publish -c Release -o C:\out
FROM mcr.microsoft.com/dotnet/aspnet:8.0 `
    AS final
COPY --from=build C:\out C:\app
