export const name = '@tunnel/verify';
