# Omnigate: build with dev dependencies, run on the compiled output with production dependencies only.
# test/deploy/dockerfile.test.ts replays these steps in a bare folder (CI machines cannot pull images).

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# A throwaway cache keeps the image (and a replay of these steps) from growing or emptying a shared one.
RUN npm ci --omit=dev --no-audit --no-fund --cache /tmp/omnigate-npm-cache && rm -rf /tmp/omnigate-npm-cache
COPY --from=build /app/dist ./dist
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js", "start"]
