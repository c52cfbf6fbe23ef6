export const name = '@tunnel/config-parser';
