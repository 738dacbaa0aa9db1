/** The workspace init script, bundled as text by esbuild (see esbuild.mjs). */
declare module '*/berth-init' {
  const text: string;
  export default text;
}
