export const FRAMEWORKS = ['react', 'nextjs', 'vue', 'svelte', 'angular', 'astro'] as const;

export type Framework = (typeof FRAMEWORKS)[number];

export const DEFAULT_FRAMEWORK: Framework = 'react';
