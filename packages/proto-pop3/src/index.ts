export const name = '@tunnel/proto-pop3';
