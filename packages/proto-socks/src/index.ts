export const name = '@tunnel/proto-socks';
