import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

type RenderOptions = Parameters<typeof renderGraphiQL>[0];

/**
 * GraphiQL runs one operation at a time for all its tabs: switching tabs stops a running subscription,
 * but opening a new tab does not, so the new tab's "run" button only stops the other tab's subscription
 * and runs nothing (a second press is needed). This makes opening a tab behave like switching to one:
 * the subscription of the tab left behind stops, and the new tab runs what it is asked to at once.
 *
 * It is a patch of GraphiQL's bundled code (its `addTab` action), so it names the exact text it
 * extends; should a GraphiQL update change that text, the page is served unpatched (and
 * test/browser/graphiql.test.ts fails).
 */
const ADD_TAB = 'addTab(){e(({defaultHeaders:o,onTabChange:a,tabs:l,activeTabIndex:u,actions:c})=>{';

/** The page is 9 MB and its options never change: rendered (and patched) once per set of options. */
export function renderPatchedGraphiQL(): (options: RenderOptions) => string {
  const rendered = new Map<string, string>();
  return (options) => {
    const cacheKey = JSON.stringify(options ?? {});
    let html = rendered.get(cacheKey);
    if (html === undefined) {
      html = renderGraphiQL(options);
      if (html.split(ADD_TAB).length === 2) html = html.replace(ADD_TAB, `${ADD_TAB}c.stop();`);
      rendered.set(cacheKey, html);
    }
    return html;
  };
}
