#!/bin/sh
# Stand-in for the Prisma schema engine, which cannot be downloaded here: generate/validate never run it.
exit 1
