export const name = '@tunnel/proto-connect';
