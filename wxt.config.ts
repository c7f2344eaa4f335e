import preact from '@preact/preset-vite';
import { defineConfig } from 'wxt';
import { buildDefaultList } from './scripts/build-default-list';

/** The build-time subscription's origin needs host permission: a static host rarely sends CORS headers. */
function listOrigins(): string[] {
  const url = process.env.WXT_LEAKWATCH_LIST_URL;
  if (!url) return [];
  try {
    return [`${new URL(url).origin}/*`];
  } catch {
    throw new Error(`WXT_LEAKWATCH_LIST_URL is not a URL: ${url}`);
  }
}

export default defineConfig({
  modules: ['@wxt-dev/webextension-polyfill'],
  outDir: process.env.LEAKWATCH_OUT_DIR ?? '.output',
  // MV3 for Firefox too: one manifest version and one tested behaviour (README, "Firefox").
  manifestVersion: 3,
  vite: () => ({
    plugins: [preact()],
  }),
  hooks: {
    'build:before': async () => {
      await buildDefaultList();
    },
  },
  manifest: ({ browser }) => ({
    name: '__MSG_extName__',
    description: '__MSG_extDescription__',
    default_locale: 'en',
    permissions: ['storage', 'alarms'],
    host_permissions: listOrigins(),
    optional_host_permissions: ['https://*/*', 'http://127.0.0.1/*', 'http://localhost/*'],
    storage: { managed_schema: 'managed-schema.json' },
    ...(browser === 'firefox'
      ? {
          browser_specific_settings: {
            gecko: {
              id: 'leakwatch@leakwatch.example',
              // 140: data_collection_permissions (Ed25519 in WebCrypto needs 129).
              strict_min_version: '140.0',
              data_collection_permissions: { required: ['none'] },
            },
            gecko_android: { strict_min_version: '142.0' },
          },
        }
      : {}),
  }),
});
