#!/usr/bin/env bash
# Fetches (once) the Zipkin server used by test/zipkin.test.ts into the Maven
# cache and prints the jar's path: io.zipkin:zipkin-server:3.5.1, classifier
# exec (a runnable jar for Java 17), from Maven Central through Maven.
#
# Environment: MAVEN_REPO_LOCAL, another local repository than ~/.m2/repository.
# Progress goes to stderr; the only stdout line is the jar's path.
set -euo pipefail

VERSION=3.5.1
REPO=${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}
JAR=$REPO/io/zipkin/zipkin-server/$VERSION/zipkin-server-$VERSION-exec.jar

if [ -s "$JAR" ]; then
  echo "$JAR"
  exit 0
fi
command -v mvn >/dev/null 2>&1 || { echo "fetch.sh: mvn not found on PATH (Maven fetches Zipkin's server from Maven Central)" >&2; exit 3; }
start=$(date +%s)
echo "fetch.sh: fetching io.zipkin:zipkin-server:$VERSION:exec into $REPO" >&2
args=(-B -q dependency:get "-Dartifact=io.zipkin:zipkin-server:$VERSION:jar:exec" -Dtransitive=false)
if [ -n "${MAVEN_REPO_LOCAL:-}" ]; then args+=("-Dmaven.repo.local=$MAVEN_REPO_LOCAL"); fi
mvn "${args[@]}" >&2
[ -s "$JAR" ] || { echo "fetch.sh: Maven finished but $JAR is missing" >&2; exit 1; }
echo "fetch.sh: fetched $JAR in $(( $(date +%s) - start ))s" >&2
echo "$JAR"
