FROM alpine AS base extra
