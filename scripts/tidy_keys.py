#!/usr/bin/env python3
"""Prints one line per source file, "KEY PATH": KEY is a SHA-256 of everything clang-tidy's
verdict on that file depends on: the clang-tidy binary's version, .clang-tidy, the file's
compile command and the path and content of every file its preprocessing reads (its own text,
the project's headers, the system's headers), with the tree's and the build's folders written
as placeholders so that a clone elsewhere gets the same keys. scripts/tidy.sh skips a file
whose key is in .ci/tidy-clean (files found clean before, exactly as they are now).

usage: tidy_keys.py BUILD_DIR FILE...   (FILE relative to the tree's root, the working folder)
"""
import concurrent.futures
import hashlib
import json
import os
import shlex
import subprocess
import sys

root = os.getcwd()
build = os.path.abspath(sys.argv[1])
files = sys.argv[2:]


def placeholders(text):
    return text.replace(build, "@BUILD@").replace(root, "@ROOT@")


def tool_and_config():
    version = subprocess.run(["clang-tidy", "--version"], capture_output=True, text=True,
                             check=True).stdout
    with open(os.path.join(root, ".clang-tidy"), "rb") as config:
        return version.encode() + config.read()


commands = {}
with open(os.path.join(build, "compile_commands.json")) as database:
    for entry in json.load(database):
        commands[os.path.realpath(entry["file"])] = entry

content_digests = {}


def content_digest(path):
    digest = content_digests.get(path)
    if digest is None:
        with open(path, "rb") as source:
            digest = hashlib.sha256(source.read()).hexdigest()
        content_digests[path] = digest
    return digest


def dependencies(entry):
    """The files the compile command reads, as clang (tidy's front end) finds them."""
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    kept = ["clang++"]
    skip = False
    for arg in args[1:]:
        if skip:
            skip = False
        elif arg == "-o":
            skip = True
        elif arg != "-c":
            kept.append(arg)
    result = subprocess.run(kept + ["-M", "-MF", "-", "-w"], cwd=entry["directory"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        return None  # tidy will say why
    text = result.stdout.replace("\\\n", " ")
    paths = text.split(":", 1)[1].split()
    found = {os.path.normpath(os.path.join(entry["directory"], p)) for p in paths}
    return args, sorted(found, key=placeholders)


def key(path):
    entry = commands.get(os.path.realpath(path))
    if entry is None:
        return None
    found = dependencies(entry)
    if found is None:
        return None
    args, paths = found
    digest = hashlib.sha256(base)
    digest.update(placeholders(" ".join(args)).encode())
    for dependency in paths:
        digest.update(placeholders(dependency).encode())
        digest.update(content_digest(dependency).encode())
    return digest.hexdigest()


base = tool_and_config()
with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
    for path, found in zip(files, pool.map(key, files)):
        print(f"{found or 'none'} {path}")
