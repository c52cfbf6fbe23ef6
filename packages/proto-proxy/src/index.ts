export const name = '@tunnel/proto-proxy';
